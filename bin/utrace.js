#!/usr/bin/env -S node --max-semi-space-size=4
// A fixed small young generation: under a busy trace V8 would otherwise grow it from 8 to
// 32 MiB and more, and a long-running tracer's RSS with it (`npm run stress` measures this).
import '../dist/src/cli/main.js';
