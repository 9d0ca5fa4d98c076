import type { Queryable } from '../connection/database-connection';

/**
 * Runs `work` inside `tx` under a savepoint: when it throws, only its own statements are
 * undone and the transaction stays usable (PostgreSQL refuses every later statement of a
 * transaction whose statement failed outside one).
 */
export async function underSavepoint<T>(tx: Queryable, work: () => Promise<T>, name = 'backlot_step'): Promise<T> {
  await tx.query(`SAVEPOINT ${name}`);
  try {
    const result = await work();
    await tx.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
    throw error;
  }
}
