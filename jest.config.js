/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The from-source Temporal server's tests run under `npm run test:production` (jest.production.config.js).
  // test/production needs the server built from source (npm run test:production); test/heavy are
  // timing tests at page scale: scripts/test.sh runs them after the rest, alone (npm run test:heavy runs only them).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/production/', '<rootDir>/test/heavy/'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  // ESM-only libraries (receivers' and @fastify/static's content-disposition) are compiled to CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(@octokit|standardwebhooks|@stablelib|cookie|content-disposition)/)'],
  moduleNameMapper: { '^@octokit/webhooks-methods$': '<rootDir>/node_modules/@octokit/webhooks-methods/dist-node/index.js' },
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
  // Unit tests first: they fail fast.
  testSequencer: '<rootDir>/test/helpers/sequencer.js',
};
