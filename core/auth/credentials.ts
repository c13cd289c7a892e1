// What a registry login is made of, as Docker's AuthConfig: a username and password, or an
// identity token (an OAuth2 refresh token a registry handed out at login) with its username.

export interface Credentials {
  username?: string;
  password?: string;
  /** A refresh token; used instead of the password in the Bearer token flow. */
  identitytoken?: string;
  /** A registry token to send as is (`registrytoken` in Docker's AuthConfig). */
  registrytoken?: string;
}

/** Looks credentials up by the registry host the client talks to (`127.0.0.1:5000`, `registry-1.docker.io`). */
export type CredentialsLookup = (registryHost: string) => Promise<Credentials | undefined>;

export function hasCredentials(c: Credentials | undefined): c is Credentials {
  return !!c && !!(c.identitytoken || c.registrytoken || (c.username && c.password !== undefined && c.password !== ''));
}
