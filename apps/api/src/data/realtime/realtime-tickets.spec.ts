import { MAX_TICKETS_PER_USER, MEMORY_LIMIT, RealtimeTickets } from './realtime-tickets';

const holder = (userId: string) => ({ userId, sessionId: `session of ${userId}` });

/** The in-process ticket store (no Redis). */
describe('RealtimeTickets in memory', () => {
  it('redeems a ticket once, for its holder', async () => {
    const tickets = new RealtimeTickets();
    const { ticket } = await tickets.issue(holder('alice'));
    expect(await tickets.redeem(ticket)).toEqual(holder('alice'));
    expect(await tickets.redeem(ticket)).toBeUndefined();
    expect(await tickets.redeem('unknown')).toBeUndefined();
  });

  it('does not let one user asking for tickets without end push out anyone else’s', async () => {
    const tickets = new RealtimeTickets();
    const alices = await tickets.issue(holder('alice'));
    const mallorys: string[] = [];
    for (let i = 0; i < MEMORY_LIMIT + 10; i++) mallorys.push((await tickets.issue(holder('mallory'))).ticket);

    expect(await tickets.redeem(alices.ticket)).toEqual(holder('alice'));
    // Mallory keeps only her newest tickets.
    expect(await tickets.redeem(mallorys[mallorys.length - MAX_TICKETS_PER_USER - 1])).toBeUndefined();
    expect(await tickets.redeem(mallorys[mallorys.length - MAX_TICKETS_PER_USER])).toEqual(holder('mallory'));
    expect(await tickets.redeem(mallorys[mallorys.length - 1])).toEqual(holder('mallory'));
  });

  it('forgets only the oldest tickets when the store is full', async () => {
    const tickets = new RealtimeTickets();
    const issued: string[] = [];
    for (let i = 0; i < MEMORY_LIMIT + 2; i++) issued.push((await tickets.issue(holder(`user ${i}`))).ticket);

    expect(await tickets.redeem(issued[0])).toBeUndefined();
    expect(await tickets.redeem(issued[1])).toBeUndefined();
    expect(await tickets.redeem(issued[2])).toEqual(holder('user 2'));
    expect(await tickets.redeem(issued[MEMORY_LIMIT + 1])).toEqual(holder(`user ${MEMORY_LIMIT + 1}`));
  });
});
