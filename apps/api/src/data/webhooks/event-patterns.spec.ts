import { isEventPattern, matchesEvent } from './event-patterns';

describe('event patterns', () => {
  it.each(['*', 'tasks.created', 'tasks.*', '*.deleted', '*.*', 'user.created', 'user.deleted', 'not_yet.updated'])(
    '%s is a pattern',
    (pattern) => {
      expect(isEventPattern(pattern)).toBe(true);
    },
  );

  it.each([
    '',
    'tasks',
    'tasks.',
    '.created',
    'Tasks.created',
    'tasks.archived',
    '**',
    'tasks.created.x',
    'ta-sks.created',
    '1tasks.created',
  ])('%j is not', (pattern) => {
    expect(isEventPattern(pattern)).toBe(false);
  });

  it('matches by collection and action, with wildcards on either side', () => {
    expect(matchesEvent(['tasks.created'], 'tasks.created')).toBe(true);
    expect(matchesEvent(['tasks.created'], 'tasks.updated')).toBe(false);
    expect(matchesEvent(['tasks.*'], 'tasks.deleted')).toBe(true);
    expect(matchesEvent(['tasks.*'], 'notes.deleted')).toBe(false);
    expect(matchesEvent(['*.deleted'], 'user.deleted')).toBe(true);
    expect(matchesEvent(['*.deleted'], 'user.created')).toBe(false);
    expect(matchesEvent(['*'], 'anything.updated')).toBe(true);
    expect(matchesEvent(['user.created', 'tasks.*'], 'user.created')).toBe(true);
    expect(matchesEvent([], 'tasks.created')).toBe(false);
  });
});
