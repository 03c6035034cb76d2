// The CLI's entry as Node runs it (bin/utrace.js starts Node on this file): CommonJS, so Node
// does not start its ES module loader for it (src/cli/launch.cts).
'use strict';
require('../dist/src/cli/launch.cjs').launch();
