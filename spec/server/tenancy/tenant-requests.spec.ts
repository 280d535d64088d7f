import { isRequestId } from '../../../src/strategies/request-id';
import { pluginRequestId, tenantScope } from '../../../src/server/tenancy/tenant-requests';

describe('pluginRequestId', () => {
  it('is a valid request id, the same for the same tenant and id, different for another tenant', () => {
    const longest = pluginRequestId('t'.repeat(64), 'x'.repeat(128));
    expect(isRequestId(longest)).toBe(true);
    expect(pluginRequestId('alice', 'r1')).toBe(pluginRequestId('alice', 'r1'));
    expect(pluginRequestId('alice', 'r1')).toMatch(/^alice\.[0-9a-f]{32}$/);
    expect(pluginRequestId('bob', 'r1')).not.toBe(pluginRequestId('alice', 'r1'));
  });

  it('cannot be steered into another tenant\'s id by the client\'s id', () => {
    const bobs = pluginRequestId('bob', 'r1');
    expect(pluginRequestId('alice', bobs)).not.toBe(bobs);
    expect(pluginRequestId('a', 'b.r1')).not.toBe(pluginRequestId('a.b', 'r1'));
  });
});

describe('tenantScope', () => {
  it('is the tenant, narrowed by a client scope; anything else goes on for the pipeline to refuse', () => {
    expect(tenantScope('alice', undefined)).toBe('alice');
    expect(tenantScope('alice', 'project-1')).toBe('alice/project-1');
    expect(tenantScope('alice', '')).toBe('');
    expect(tenantScope('alice', 42)).toBe(42);
  });
});
