import { describe, expect, it } from 'vitest';
import {
  allMembers,
  applyConfigChange,
  initialConfig,
  isMember,
  isVoter,
} from '../../src/raft/membership.js';

describe('membership', () => {
  it('§6 an initial configuration makes every listed member a voter, in a canonical order', () => {
    expect(initialConfig(['n3', 'n1', 'n2'])).toEqual({
      voters: ['n1', 'n2', 'n3'],
      learners: [],
      addresses: {},
    });
  });

  it('§4.1 (dissertation) single-server changes add, promote, demote and remove one member', () => {
    const start = initialConfig(['n1', 'n2', 'n3']);
    const learner = applyConfigChange(start, { op: 'addLearner', id: 'n4', address: 'ws://h:4' });
    expect(learner).toEqual({ voters: ['n1', 'n2', 'n3'], learners: ['n4'], addresses: { n4: 'ws://h:4' } });
    expect(isVoter(learner, 'n4')).toBe(false);
    expect(isMember(learner, 'n4')).toBe(true);

    const promoted = applyConfigChange(learner, { op: 'addVoter', id: 'n4' });
    expect(promoted).toEqual({
      voters: ['n1', 'n2', 'n3', 'n4'],
      learners: [],
      addresses: { n4: 'ws://h:4' },
    });

    const demoted = applyConfigChange(promoted, { op: 'addLearner', id: 'n2' });
    expect(demoted.voters).toEqual(['n1', 'n3', 'n4']);
    expect(demoted.learners).toEqual(['n2']);

    const removed = applyConfigChange(demoted, { op: 'removeMember', id: 'n4' });
    expect(removed).toEqual({ voters: ['n1', 'n3'], learners: ['n2'], addresses: {} });
    expect(isMember(removed, 'n4')).toBe(false);
    expect(allMembers(removed)).toEqual(['n1', 'n3', 'n2']);

    // Removing an unknown member changes nothing; the input is never mutated.
    expect(applyConfigChange(removed, { op: 'removeMember', id: 'zz' })).toEqual(removed);
    expect(start).toEqual(initialConfig(['n1', 'n2', 'n3']));
  });
});
