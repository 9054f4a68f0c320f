// Options the tests need and the public API does not offer: which native build to load (both
// stderr backends are tested in one run) and failures to inject into the endpoint.

import type { EndpointOptions, NativeBinding } from './native/binding.js';

export const internal = Symbol('rsh-transport internal options');

export interface InternalOptions {
  binding?: NativeBinding;
  injectFailure?: EndpointOptions['injectFailure'];
}
