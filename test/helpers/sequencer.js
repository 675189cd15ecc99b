const Sequencer = require('@jest/test-sequencer').default;

/** Unit tests first, then integration, then the slow process-level tests. */
class UnitFirst extends Sequencer {
  sort(tests) {
    const rank = (p) => (p.includes('/unit/') ? 0 : p.includes('/integration/') ? 1 : 2);
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  }
}
module.exports = UnitFirst;
