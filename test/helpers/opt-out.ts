import { json, type TestServer } from './test-server.js';

/**
 * A bearer token from the profile command API's token endpoint (the 000 document), for a new
 * OAuth client of the server's default environment with these scopes.
 */
export async function profileCommandToken(
  server: TestServer,
  scopes: string[] = ['privacy'],
): Promise<string> {
  const client = (
    await server.request('POST', '/v1/credentials', {
      kind: 'oauth_client',
      name: 'algonomy',
      scopes,
    })
  ).body;
  const res = await fetch(
    `${server.url}/profile-command/v1/oauth2/token?grant_type=client_credentials&client_id=${client.publicId}&client_secret=${client.secret}`,
    { method: 'POST' },
  );
  return ((await json(res)) as { access_token: string }).access_token;
}

/** Opts a user out through `PUT /profile-command/v1/{site}/optOut/{userId}`, site key included. */
export async function optOutUser(
  server: TestServer,
  userId: string,
  site: string,
  token?: string,
): Promise<Response> {
  await server.request('PUT', `/v1/surface-keys/profile-command/${site}`);
  const bearer = token ?? (await profileCommandToken(server));
  return fetch(`${server.url}/profile-command/v1/${site}/optOut/${encodeURIComponent(userId)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'optOut', enableOptOut: true }),
  });
}
