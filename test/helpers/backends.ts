// The stderr backends a suite runs against: the pipe and socketpair builds of the addon, or,
// in the run without the addon (npm run test:no-addon), the JavaScript stand-in alone.

import path from 'node:path';
import { DEFAULT_BINDING_PATH, loadBinding, type NativeBinding } from '../../host/native/binding.js';
import { ROOT } from './root.js';

/** The default build (pipe) and the ssh-socketpair-stderr build that `npm test` makes first. */
export const SOCKETPAIR_BINDING_PATH = path.join(ROOT, 'build/variants/socketpair/build/Release/rsh_transport.node');

export interface Backend {
  name: 'pipe' | 'socketpair' | 'js';
  binding: () => NativeBinding;
}

/** Whether this run is the one without the addon (RSH_TRANSPORT_NO_ADDON, see npm test). Any
 * other run needs the addon: one that cannot load fails, rather than turn into this run. */
export const NO_ADDON = !['', '0', undefined].includes(process.env.RSH_TRANSPORT_NO_ADDON);

export const BACKENDS: Backend[] = NO_ADDON
  ? [{ name: 'js', binding: () => loadBinding() }]
  : [
      { name: 'pipe', binding: () => loadBinding(DEFAULT_BINDING_PATH) },
      { name: 'socketpair', binding: () => loadBinding(SOCKETPAIR_BINDING_PATH) },
    ];
