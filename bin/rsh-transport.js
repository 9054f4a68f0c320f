#!/usr/bin/env node
// rsh-transport: a remote shell that captures and forwards its stderr (see --help).
import '../dist/cli/main.js';
