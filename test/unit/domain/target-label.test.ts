import { targetLabel } from '../../../src/domain/target-label';

// Capability URLs (a Slack webhook's path, a token in the query) must never reach Temporal.

describe('targetLabel', () => {
  it.each([
    ['https://hooks.slack.com/services/T000/B000/XXXXSECRET', 'hooks.slack.com'],
    ['https://api.example.com/callback?token=s3cret', 'api.example.com'],
    ['https://user:password@api.example.com:8443/hook#frag', 'api.example.com:8443'],
    ['http://[::1]:3000/x', '[::1]:3000'],
  ])('shows only the host of %s', (url, label) => {
    expect(targetLabel(url)).toBe(label);
  });

  it('shows nothing of a string that is not a URL', () => {
    expect(targetLabel('not a url with secret-token')).toBe('(invalid URL)');
  });
});
