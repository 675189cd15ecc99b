#!/usr/bin/env node
'use strict';
// webhookctl is TypeScript, run through tsx (a dependency), so a clone needs no build step.
const path = require('node:path');
const { register } = require('tsx/cjs/api');

register();
require(path.join(__dirname, '..', 'src', 'cli', 'main.ts'));
