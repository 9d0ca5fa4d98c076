import { Injectable } from '@nestjs/common';

type Section = (userId: string) => Promise<unknown>;

/**
 * Each domain registers the part of a user's data it owns; the users module assembles
 * them for `GET /users/me/export` without knowing the other domains.
 */
@Injectable()
export class UserDataExport {
  private readonly sections = new Map<string, Section>();

  register(name: string, section: Section): void {
    if (this.sections.has(name)) throw new Error(`Export section "${name}" registered twice`);
    this.sections.set(name, section);
  }

  async collect(userId: string): Promise<Record<string, unknown>> {
    const result: Record<string, unknown> = {};
    for (const [name, section] of this.sections) result[name] = await section(userId);
    return result;
  }
}
