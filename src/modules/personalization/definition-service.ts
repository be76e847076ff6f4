import type { Kysely } from 'kysely';
import type { AudienceRule } from '../../engine/audience-types.js';
import type { ExperienceDefinition } from '../../engine/experience-types.js';
import {
  audienceEvaluationOrder,
  audienceRefsOf,
  validateAudienceRule,
  validateExperience,
} from '../../engine/index.js';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import { parseStored } from '../../lib/json.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { Database } from '../../storage/schema.js';
import { type DefinitionRow, DefinitionStore } from './definition-store.js';

export type DefinitionStatus = 'draft' | 'published';

export interface Audience {
  id: string;
  name: string;
  description?: string;
  rule: AudienceRule;
  status: DefinitionStatus;
  createdAt: number;
  updatedAt: number;
}

export interface AudienceInput {
  name: string;
  description?: string;
  rule: unknown;
}

export interface StoredExperience {
  definition: ExperienceDefinition;
  createdAt: number;
  updatedAt: number;
}

/** Ids live in paths: `.` and `..` alone would be resolved away by clients before they arrive. */
const ID_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9_.:-]{1,200}$/;

function toAudience(row: DefinitionRow): Audience {
  const stored = parseStored<{ name: string; description?: string; rule: AudienceRule }>(
    row.definition,
  );
  return {
    id: row.id,
    ...stored,
    status: row.status,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toExperience(row: DefinitionRow): StoredExperience {
  const definition = {
    ...parseStored<ExperienceDefinition>(row.definition),
    id: row.id,
    status: row.status,
  };
  return { definition, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) };
}

function invalid(errors: Array<{ path: string; message: string }>): AppError {
  return new AppError(
    'validation_failed',
    'The definition is not valid.',
    errors.map((e) => ({ field: e.path, message: e.message })),
  );
}

/**
 * Audience and experience definitions of an environment (the native admin API). Rules and
 * experiences are validated by the engine when saved, so a rule that could be slow or unsafe
 * never reaches the hot path; publishing checks that audience references form no cycle.
 */
export class DefinitionService {
  private readonly store: DefinitionStore;

  constructor(
    db: Kysely<Database>,
    private readonly onChange: (environmentId: string) => void,
  ) {
    this.store = new DefinitionStore(db);
  }

  validateRule(rule: unknown): {
    valid: boolean;
    errors: Array<{ path: string; message: string }>;
  } {
    const result = validateAudienceRule(rule);
    return result.ok ? { valid: true, errors: [] } : { valid: false, errors: result.errors };
  }

  async listAudiences(environmentId: string): Promise<Audience[]> {
    return (await this.store.findAll('audiences', environmentId)).map(toAudience);
  }

  async getAudience(environmentId: string, id: string): Promise<Audience> {
    const row = await this.store.findById('audiences', environmentId, id);
    if (!row) throw new AppError('not_found', 'No such audience.');
    return toAudience(row);
  }

  /**
   * Creates (no id) or replaces an audience; a published one must still use only published
   * audiences, free of cycles.
   */
  async saveAudience(
    environmentId: string,
    input: AudienceInput,
    id = newId(),
    /** Only create: an audience of that id answers 409, even one created a moment ago. */
    createOnly = false,
  ): Promise<Audience> {
    if (!ID_PATTERN.test(id))
      throw invalid([
        { path: 'id', message: 'ids are 1–200 of A-Z a-z 0-9 _ . : - (not . or ..)' },
      ]);
    const result = validateAudienceRule(input.rule);
    if (!result.ok) throw invalid(result.errors.map((e) => ({ ...e, path: `rule.${e.path}` })));
    const existing = await this.store.findById('audiences', environmentId, id);
    if (existing && createOnly) throw audienceExists();
    const status = existing?.status ?? 'draft';
    const definition = { name: input.name, description: input.description, rule: result.rule };
    if (status === 'published')
      await this.assertPublishable(environmentId, { id, rule: result.rule });
    const now = Date.now();
    const row = {
      environment_id: environmentId,
      id,
      definition: JSON.stringify(definition),
      status,
      created_at: existing ? Number(existing.created_at) : now,
      updated_at: now,
    };
    if (!createOnly) await this.store.upsert('audiences', row);
    else {
      try {
        await this.store.insert('audiences', row);
      } catch (error) {
        // Another create of the same id got in first.
        if (isUniqueViolation(error)) throw audienceExists();
        throw error;
      }
    }
    this.onChange(environmentId);
    return this.getAudience(environmentId, id);
  }

  async publishAudience(environmentId: string, id: string): Promise<Audience> {
    const audience = await this.getAudience(environmentId, id);
    await this.assertPublishable(environmentId, audience);
    await this.setStatus('audiences', environmentId, id, 'published');
    return this.getAudience(environmentId, id);
  }

  async deleteAudience(environmentId: string, id: string): Promise<void> {
    const users = (await this.listExperiences(environmentId)).filter(
      (e) => e.definition.audienceId === id,
    );
    if (users.length > 0) {
      throw new AppError(
        'conflict',
        `Experiences use this audience: ${users.map((e) => e.definition.id).join(', ')}.`,
      );
    }
    const audiences = (await this.listAudiences(environmentId)).filter(
      (a) => a.status === 'published' && a.id !== id && audienceRefsOf(a.rule).includes(id),
    );
    if (audiences.length > 0) {
      throw new AppError(
        'conflict',
        `Published audiences use this audience: ${audiences.map((a) => a.id).join(', ')}.`,
      );
    }
    if (!(await this.store.delete('audiences', environmentId, id)))
      throw new AppError('not_found', 'No such audience.');
    this.onChange(environmentId);
  }

  async listExperiences(environmentId: string): Promise<StoredExperience[]> {
    return (await this.store.findAll('experiences', environmentId)).map(toExperience);
  }

  async getExperience(environmentId: string, id: string): Promise<StoredExperience> {
    const row = await this.store.findById('experiences', environmentId, id);
    if (!row) throw new AppError('not_found', 'No such experience.');
    return toExperience(row);
  }

  /** Creates or replaces an experience; its status is kept (publish is a separate step). */
  async saveExperience(
    environmentId: string,
    input: Record<string, unknown>,
  ): Promise<StoredExperience> {
    const id = typeof input.id === 'string' && input.id !== '' ? input.id : newId();
    if (!ID_PATTERN.test(id))
      throw invalid([
        { path: 'id', message: 'ids are 1–200 of A-Z a-z 0-9 _ . : - (not . or ..)' },
      ]);
    const existing = await this.store.findById('experiences', environmentId, id);
    const status: DefinitionStatus = existing?.status ?? 'draft';
    const result = validateExperience({ ...input, id, status });
    if (!result.ok) throw invalid(result.errors);
    const now = Date.now();
    await this.store.upsert('experiences', {
      environment_id: environmentId,
      id,
      definition: JSON.stringify(result.experience),
      status,
      created_at: existing ? Number(existing.created_at) : now,
      updated_at: now,
    });
    this.onChange(environmentId);
    return this.getExperience(environmentId, id);
  }

  async publishExperience(environmentId: string, id: string): Promise<StoredExperience> {
    const { definition } = await this.getExperience(environmentId, id);
    if (definition.audienceId) {
      const audience = await this.store.findById('audiences', environmentId, definition.audienceId);
      if (audience?.status !== 'published') {
        throw new AppError('conflict', `Publish audience ${definition.audienceId} first.`);
      }
    }
    await this.setStatus('experiences', environmentId, id, 'published');
    return this.getExperience(environmentId, id);
  }

  async deleteExperience(environmentId: string, id: string): Promise<void> {
    if (!(await this.store.delete('experiences', environmentId, id)))
      throw new AppError('not_found', 'No such experience.');
    this.onChange(environmentId);
  }

  private async setStatus(
    table: 'audiences' | 'experiences',
    environmentId: string,
    id: string,
    status: DefinitionStatus,
  ) {
    const row = await this.store.findById(table, environmentId, id);
    if (!row) throw new AppError('not_found');
    await this.store.upsert(table, { ...row, status, updated_at: Date.now() });
    this.onChange(environmentId);
  }

  /** A published audience uses only published audiences (as an experience does), in no cycle. */
  private async assertPublishable(
    environmentId: string,
    changed: { id: string; rule: AudienceRule },
  ): Promise<void> {
    const published = (await this.listAudiences(environmentId)).filter(
      (a) => a.status === 'published' && a.id !== changed.id,
    );
    const known = new Set(published.map((a) => a.id));
    const missing = audienceRefsOf(changed.rule).filter(
      (ref) => ref !== changed.id && !known.has(ref),
    );
    if (missing.length > 0)
      throw new AppError('conflict', `Publish the audiences it uses first: ${missing.join(', ')}.`);
    const order = audienceEvaluationOrder([...published, changed]);
    if (!order.ok)
      throw new AppError(
        'conflict',
        `Audience references form a cycle: ${order.cycle.join(' → ')}.`,
      );
  }
}

function audienceExists(): AppError {
  return new AppError('conflict', 'An audience with this id exists; use PUT to change it.');
}
