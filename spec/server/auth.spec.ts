import { bearerAuth } from '../../src/server/auth';

describe('bearerAuth', () => {
  const check = bearerAuth('s3cret-key');

  it('accepts Bearer <key>, the scheme in any case', () => {
    expect(check('Bearer s3cret-key')).toBe(true);
    expect(check('bearer s3cret-key')).toBe(true);
    expect(check('BEARER   s3cret-key ')).toBe(true);
  });

  it('refuses a missing, malformed, shorter, longer or different key', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 's3cret-key', 'Basic s3cret-key', 'Bearer s3cret', 'Bearer s3cret-key2', 'Bearer S3CRET-KEY', 'Bearer s3cret-key extra']) {
      expect(check(header)).toBe(false);
    }
  });
});
