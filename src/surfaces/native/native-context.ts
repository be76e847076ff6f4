import type { CredentialService } from '../../modules/credentials/credential-service.js';
import type { ErasureService } from '../../modules/privacy/erasure-service.js';
import type { ProfileIngestService } from '../../modules/profiles/profile-ingest-service.js';
import type { ProfileMergeService } from '../../modules/profiles/profile-merge-service.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import type { TenantService } from '../../modules/tenants/tenant-service.js';
import type { BulkRouteServices } from './bulk-routes.js';
import type { ConsentRouteServices } from './consent-routes.js';
import type { PersonalizationRouteServices } from './personalization-routes.js';
import type { WebhookRouteServices } from './webhook-routes.js';

/** The services the native surface translates to. */
export interface NativeServices
  extends PersonalizationRouteServices,
    BulkRouteServices,
    ConsentRouteServices,
    WebhookRouteServices {
  ingest: ProfileIngestService;
  queries: ProfileQueryService;
  merges: ProfileMergeService;
  credentials: CredentialService;
  tenants: TenantService;
  erasure: ErasureService;
  /** Subscriptions, and the recorder whose cached settings a settings change drops. */
  webhooks: WebhookRouteServices['webhooks'] & {
    recorder: { invalidate(environmentId: string): void };
  };
}
