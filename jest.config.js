/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The from-source Temporal server's tests run under `npm run test:production` (jest.production.config.js).
  // test/production needs the server built from source (npm run test:production); test/heavy are
  // timing tests at page scale that a 2-core CI run does not hold steady (npm run test:heavy):
  // session 5 measured the retry-timing test's worst gap at 1.29–1.65 s on quiet runs and 2.57 s
  // in one full CI run, against its 2 s bound.
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
