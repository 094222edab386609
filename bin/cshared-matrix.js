#!/usr/bin/env node
// The installed command. The harness is TypeScript, run through tsx (a runtime
// dependency), so the package ships its sources as they are tested: no build step.
import { register } from 'tsx/esm/api';

register();
await import('../harness/cli/main.ts');
