#!/usr/bin/env node
/**
 * The `bilevel` executable: runs the command line of {@link runCli} and exits with its code.
 * @module
 */
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
