#!/usr/bin/env node
/**
 * @file The `sagan` program. Deno: `deno run -A src/sagan/cli.ts <command>`; Node: the bundle
 * dist/node/cli.js (`npx sagan <command>`). Commands live in src/sagan/cli/.
 */
import process from 'node:process';
import { main } from './cli/main.ts';

process.exit(await main(process.argv.slice(2)));
