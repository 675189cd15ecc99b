// `npm run test:production`: the tests on the real Temporal server built from source
// (scripts/install-temporal-server.sh). Each test file starts its own server and PostgreSQL, so
// no global setup; one file at a time, since each runs several processes on a 2-core machine.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  transformIgnorePatterns: base.transformIgnorePatterns,
  moduleNameMapper: base.moduleNameMapper,
  roots: ['<rootDir>/test/production'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 600_000,
  maxWorkers: 1,
};
