import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import {
  type AnnotationSubject,
  type AnnotationWriteGuard,
  Checks,
  type Note,
  treeOf,
} from './annotation-types.js';
import type { NoteStore } from './note-store.js';

/** Longest note content and subject, in characters. */
export const NOTE_CONTENT_MAX = 10_000;
export const NOTE_SUBJECT_MAX = 200;
/** Notes one listing returns at most (a profile with more is an abuse, not a use). */
export const NOTES_LIST_MAX = 1_000;

export interface NoteInput {
  /** Optional title; null clears it on update. */
  subject?: string | null;
  content: string;
}

/**
 * Free-text notes about a profile (the 001 document's notes service). A note belongs to the
 * profile it was written to; reads of a profile cover the profiles merged into it. Writes take
 * the profile's write slot and fail with `profile_not_found` when it no longer exists. A note
 * of another profile or environment answers `not_found`, as an unknown id does.
 */
export class NoteService {
  constructor(
    private readonly store: NoteStore,
    private readonly guard: AnnotationWriteGuard,
    private readonly now: () => number,
  ) {}

  /** The profile's notes (and those of profiles merged into it), oldest first. */
  listNotes(environmentId: string, profile: AnnotationSubject): Promise<Note[]> {
    return this.store.findByProfiles(environmentId, treeOf(profile), NOTES_LIST_MAX);
  }

  /** Writes a new note to the profile. `validation_failed` names each bad field. */
  async createNote(
    environmentId: string,
    profile: AnnotationSubject,
    input: NoteInput,
  ): Promise<Note> {
    validate(input, true);
    return this.guard(environmentId, profile.id, async (trx) => {
      const at = this.now();
      const row = {
        id: newId(),
        environment_id: environmentId,
        profile_id: profile.id,
        subject: input.subject ?? null,
        content: input.content,
        created_at: at,
        updated_at: at,
      };
      await this.store.insert(trx, row);
      return {
        id: row.id,
        profileId: profile.id,
        subject: row.subject,
        content: row.content,
        createdAt: at,
        updatedAt: at,
      };
    });
  }

  /** One note of the profile, or `not_found`. */
  async getNote(environmentId: string, profile: AnnotationSubject, noteId: string): Promise<Note> {
    const note = await this.store.findById(environmentId, treeOf(profile), noteId);
    if (!note) throw notFound();
    return note;
  }

  /** Changes the fields given (`subject: null` clears the subject); answers the note. */
  async updateNote(
    environmentId: string,
    profile: AnnotationSubject,
    noteId: string,
    input: Partial<NoteInput>,
  ): Promise<Note> {
    validate(input, false);
    return this.guard(environmentId, profile.id, async (trx) => {
      const note = await this.store.findById(environmentId, treeOf(profile), noteId, trx);
      if (!note) throw notFound();
      const updated: Note = {
        ...note,
        subject: input.subject === undefined ? note.subject : input.subject,
        content: input.content ?? note.content,
        updatedAt: this.now(),
      };
      await this.store.update(trx, noteId, {
        subject: updated.subject,
        content: updated.content,
        updated_at: updated.updatedAt,
      });
      return updated;
    });
  }

  /** Deletes one note of the profile, or answers `not_found`. */
  deleteNote(environmentId: string, profile: AnnotationSubject, noteId: string): Promise<void> {
    return this.guard(environmentId, profile.id, async (trx) => {
      const note = await this.store.findById(environmentId, treeOf(profile), noteId, trx);
      if (!note) throw notFound();
      await this.store.delete(trx, noteId);
    });
  }
}

function notFound(): AppError {
  return new AppError('not_found', 'Note not found.');
}

function validate(input: Partial<NoteInput>, creating: boolean): void {
  const checks = new Checks();
  // Content is required on creation and, when given on update, must not be empty either.
  checks.text('content', input.content, NOTE_CONTENT_MAX, creating || input.content !== undefined);
  checks.text('subject', input.subject, NOTE_SUBJECT_MAX, false);
  checks.throwIfAny();
}
