/**
 * The composition root of Tessera's services: the stores and services every surface shares,
 * wired together once per process. `buildApp` (app.ts) serves them over HTTP; the CLI
 * (cli.ts) runs the same services without a server.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config/config.js';
import { deriveKey } from './lib/secret-box.js';
import {
  type AnnotationServices,
  createAnnotations,
} from './modules/annotations/annotations-module.js';
import { BulkErasure } from './modules/bulk/bulk-erasure.js';
import { BulkService } from './modules/bulk/bulk-service.js';
import { profileWriteGuard } from './modules/consents/consent-guard.js';
import { ConsentReader } from './modules/consents/consent-reader.js';
import { ConsentService } from './modules/consents/consent-service.js';
import {
  type CredentialsModule,
  createCredentialsModule,
} from './modules/credentials/credentials-module.js';
import { JobQueue } from './modules/jobs/job-queue.js';
import { DefinitionService } from './modules/personalization/definition-service.js';
import { PersonalizationService } from './modules/personalization/personalization-service.js';
import { ErasureService } from './modules/privacy/erasure-service.js';
import { PrivacyService } from './modules/privacy/privacy-service.js';
import { SuppressionList } from './modules/privacy/suppression-list.js';
import { MembershipRefresh } from './modules/profiles/membership-refresh.js';
import { ProfileCache } from './modules/profiles/profile-cache.js';
import { ProfileIngestService } from './modules/profiles/profile-ingest-service.js';
import { ProfileMergeService } from './modules/profiles/profile-merge-service.js';
import { ProfileQueryService } from './modules/profiles/profile-query-service.js';
import { ProfileRepository } from './modules/profiles/profile-repository.js';
import { TenantService } from './modules/tenants/tenant-service.js';
import { createWebhooksModule, type WebhooksModule } from './modules/webhooks/webhooks-module.js';
import type { Storage } from './storage/storage.js';
import { presentEvent, presentProfile } from './surfaces/native/native-presenters.js';

export interface AppDeps {
  config: Config;
  storage: Storage;
  /** Protects HMAC keys at rest and signs tokens (see lib/master-key.ts). */
  masterKey: Buffer;
  /** The clock tokens are issued and checked with (tests move it). */
  now?: () => number;
}

/** The application's services, built once and shared by every surface. */
export interface Services {
  tenants: TenantService;
  credentials: CredentialsModule;
  ingest: ProfileIngestService;
  queries: ProfileQueryService;
  merges: ProfileMergeService;
  repo: ProfileRepository;
  privacy: PrivacyService;
  personalization: PersonalizationService;
  /** Consents, preferences and their history; `marketingChannels` for the profiles read API. */
  consents: ConsentService;
  /** Notes, tags and linked devices of profiles (erased and exported with the profile). */
  annotations: AnnotationServices;
  definitions: DefinitionService;
  /** Surfaces register their job kinds while they are registered; the worker starts after. */
  jobs: JobQueue;
  /** Import and export jobs (kinds `bulk-import`, `bulk-export`); the CLI runs the same code. */
  bulk: BulkService;
  erasure: ErasureService;
  /** Subscriptions, the events API and the delivery worker (started with the app). */
  webhooks: WebhooksModule;
}

export function buildServices(deps: AppDeps, log: FastifyBaseLogger): Services {
  const suppressions = new SuppressionList(
    deps.storage.db,
    deriveKey(deps.masterKey, 'suppression list v1'),
  );
  const tenants = new TenantService(deps.storage.db);
  const personalization = new PersonalizationService(
    deps.storage.db,
    deps.now,
    new ConsentReader(deps.storage.db),
    async (environmentId) =>
      (await tenants.describeEnvironment(environmentId)).settings.personalizationRequiresConsent ??
      null,
  );
  const definitions = new DefinitionService(deps.storage.db, (env) =>
    personalization.invalidate(env),
  );
  const repo = new ProfileRepository(
    deps.storage,
    deps.config.maxWaitingPerProfile,
    suppressions,
    personalization,
    false,
    new ProfileCache(deps.config.profileCacheMib * 1024 * 1024, deps.storage.foreignCommits),
  );
  const queries = new ProfileQueryService(repo);
  const memberships = new MembershipRefresh(repo);
  const webhooks = createWebhooksModule(deps.storage, deps.masterKey, deps.config, log);
  repo.changes = webhooks.recorder;
  // Read only where an environment has subscriptions, and cached with them.
  webhooks.recorder.consentGate = {
    requiredConsentOf: async (environmentId) =>
      (await tenants.describeEnvironment(environmentId)).settings.webhooksRequireConsent ?? null,
    readerFor: (db) => new ConsentReader(db),
  };
  repo.addPersonalDataStore(webhooks.personalData);
  const consents = new ConsentService(deps.storage, {
    now: deps.now,
    guard: profileWriteGuard(repo),
    changes: webhooks.recorder,
    afterConsentChange: async (environmentId, profileId) => {
      await memberships.refresh(environmentId, profileId);
    },
  });
  repo.addPersonalDataStore(consents);
  // Export results hold copies of profiles: erasure deletes the exports that mention them.
  repo.addPersonalDataStore(new BulkErasure(deps.storage));
  const ingest = new ProfileIngestService(repo);
  const jobs = new JobQueue(
    deps.storage.db,
    log,
    deps.now,
    deps.storage.engine,
    deps.config.jobConcurrency,
  );
  return {
    tenants,
    credentials: createCredentialsModule(deps.storage.db, deps.masterKey, {
      tokenTtlSeconds: deps.config.tokenTtlSeconds,
      rotationGraceSeconds: deps.config.rotationGraceSeconds,
      now: deps.now,
    }),
    ingest,
    queries,
    merges: new ProfileMergeService(repo, queries, memberships),
    repo,
    privacy: new PrivacyService(repo, suppressions),
    personalization,
    consents,
    annotations: createAnnotations(deps.storage, repo, { ingest, queries }, deps.now),
    definitions,
    jobs,
    // Exports read like the native API: its presenters are passed in (presenting is a surface's).
    bulk: new BulkService({
      storage: deps.storage,
      ingest,
      queries,
      events: repo.events,
      personalization,
      definitions,
      jobs,
      presenter: { profile: presentProfile, event: presentEvent },
      maxJsonDepth: deps.config.maxJsonDepth,
    }),
    erasure: new ErasureService(repo, queries, jobs),
    webhooks,
  };
}
