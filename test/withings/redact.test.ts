import { Redactor } from '../../src/withings/redact.js';

describe('Redactor', () => {
  const r = new Redactor();
  r.add('my-registered-secret', 'abc'); // too short to register: would mangle ordinary words

  test.each([
    ['Authorization: Bearer abc.def-123', 'Authorization: [redacted]'],
    ['sent bearer 0a1b2c3d4e', 'sent Bearer [redacted]'],
    ['?code=4f3a2b&state=xyz', '?code=[redacted]&state=[redacted]'],
    ['{"access_token":"tok","refresh_token":"ref"}', '{"access_token":"[redacted]","refresh_token":"[redacted]"}'],
    ['client_secret=hunter2', 'client_secret=[redacted]'],
    ['refresh failed (access_token=abc123secretvalue)', 'refresh failed (access_token=[redacted])'],
    ['token a075f8c14fb8c8f7c1b5d2a6e3f2a1b0c9d8e7f6 rejected', 'token [redacted] rejected'],
    ['uses my-registered-secret here', 'uses [redacted] here'],
  ])('%s', (input, expected) => {
    expect(r.redact(input)).toBe(expected);
  });

  test('leaves ordinary sentences alone', () => {
    for (const text of ['the code: it expired after 30 s', 'state of Alice: linked', 'Withings user 1001001, abc']) {
      expect(r.redact(text)).toBe(text);
    }
  });
});
