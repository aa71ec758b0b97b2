import { describe, expect, it } from 'vitest';
import { probePlacement } from './module-text.ts';

describe('where the flow probes go, by kernel release', () => {
  it('by address before 6.1 (a name is a walk of every symbol), as ip_vs:<hook>+<n> from 6.1 on (kept between cells)', () => {
    const releases = ['5.10.0-46-cloud-amd64', '6.0.12-1-amd64', '6.1.0-57-cloud-amd64', '6.12.118+deb13-cloud-amd64', '7.3.4+deb13-cloud-amd64'];
    expect(releases.map(probePlacement)).toEqual(['address', 'address', 'symbol', 'symbol', 'symbol']);
  });

  it('nothing for a release it cannot read (the probes then go by name)', () => {
    expect(probePlacement('custom')).toBeUndefined();
  });
});
