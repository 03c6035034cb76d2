// node-gyp-build ships no types: the one function used here. A static import (not a
// createRequire at run time) lets the CLI bundle hold it, compiled with the bundle's code
// cache rather than loaded from node_modules at every start (~2.5 ms).
declare module 'node-gyp-build' {
  const load: { path(dir: string): string };
  export default load;
}
