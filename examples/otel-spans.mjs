// rsh-transport's events as OpenTelemetry spans, with no dependency added to the package: one
// span per openRemoteShell, from its first spawn to its end, with an event for each attempt and
// for the moment the session was up, the byte counts as attributes, and the failure's reason as
// the span's error status.
//
// traceRemoteShells(tracer) takes any tracer shaped like OpenTelemetry's (@opentelemetry/api's
// `trace.getTracer('rsh-transport')`): startSpan(name, { attributes }), and spans with
// addEvent, setAttributes, setStatus and end. Run as a script, it traces one run on the stand-in
// remote shell with a tracer that prints each span as JSON, which is what `npm test` checks.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNELS, openRemoteShell } from 'rsh-transport';

const SPAN_STATUS_ERROR = 2; // SpanStatusCode.ERROR

/** Subscribes; returns the function that unsubscribes. */
export function traceRemoteShells(tracer) {
  const spans = new Map();
  const listeners = {
    spawn({ run, argv, master, attempt, pid }) {
      let span = spans.get(run);
      if (span === undefined) {
        // A shared connection's master is a span of its own, named as such.
        const name = `rsh-transport ${master ? 'master ' : ''}${basename(argv[0])}`;
        span = tracer.startSpan(name, { attributes: { 'rsh.argv': argv.join(' '), 'rsh.master': master } });
        spans.set(run, span);
      }
      span.addEvent('spawn', pid === undefined ? { attempt } : { attempt, pid });
    },
    connected({ run, attempt, ms }) {
      spans.get(run)?.addEvent('connected', { attempt, 'rsh.ms': Math.round(ms) });
    },
    exit(event) {
      const span = spans.get(event.run);
      if (span === undefined) return;
      spans.delete(event.run);
      span.setAttributes({
        'rsh.exit_code': event.code ?? -1,
        'rsh.bytes_sent': event.bytesSent,
        'rsh.bytes_received': event.bytesReceived,
        'rsh.attempts': event.attempts,
        'rsh.shared_connection': event.sharedConnection,
      });
      if (event.reason !== null) span.setStatus({ code: SPAN_STATUS_ERROR, message: event.reason });
      span.end();
    },
  };
  for (const [key, listener] of Object.entries(listeners)) subscribe(CHANNELS[key], listener);
  return () => {
    for (const [key, listener] of Object.entries(listeners)) unsubscribe(CHANNELS[key], listener);
  };
}

/** A tracer that prints each span as one JSON line when it ends. */
function printingTracer() {
  return {
    startSpan(name, { attributes }) {
      const span = { name, attributes: { ...attributes }, events: [], status: 'unset' };
      return {
        addEvent: (event, attributes) => span.events.push({ name: event, ...attributes }),
        setAttributes: (attributes) => Object.assign(span.attributes, attributes),
        setStatus: (status) => (span.status = status.message),
        end: () => console.log(JSON.stringify(span)),
      };
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stop = traceRemoteShells(printingTracer());
  const standIn = fileURLToPath(new URL('stand-in-ssh.mjs', import.meta.url));
  const shell = openRemoteShell({ host: 'demo', rsh: [process.execPath, standIn], command: ['cat'], stderr: 'capture' });
  shell.stream.resume();
  shell.stream.end('hello\n');
  await shell.finished;
  const failing = openRemoteShell({ host: 'demo', rsh: [process.execPath, standIn], remoteCommand: 'exit 3', stderr: 'capture' });
  failing.stream.resume();
  await failing.finished.catch(() => {});
  stop();
}
