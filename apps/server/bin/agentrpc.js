#!/usr/bin/env node
// The `agentrpc` command: runs the built CLI.
import '../dist/cli.js';
