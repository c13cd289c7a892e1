// The reference grammar of docker/distribution (github.com/distribution/reference v0.6), built from
// the same named pieces so each regular expression can be checked against the Go source:
//
//   reference        := name [ ":" tag ] [ "@" digest ]
//   name             := [domain '/'] remote-name
//   domain           := host [':' port-number]
//   host             := domain-name | '[' IPv6address ']'
//   domain-name      := domain-component ['.' domain-component]*
//   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//   remote-name      := path-component ['/' path-component]*
//   path-component   := alpha-numeric [separator alpha-numeric]*
//   alpha-numeric    := /[a-z0-9]+/
//   separator        := /[_.]|__|[-]+/
//   tag              := /[\w][\w.-]{0,127}/
//   digest           := algorithm ":" encoded (at least 32 hex digits)

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
// Deliberately loose, as upstream: the brackets make it unambiguous and the registry client
// decides whether the address is real.
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainName}|${ipv6Address})`;
const optionalPort = '(?::[0-9]+)?';
const domainAndPort = `${host}${optionalPort}`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const name = `(?:${domainAndPort}/)?${remoteName}`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

/** Groups: 1 name, 2 tag, 3 digest. */
export const REFERENCE_RE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);
/** Groups: 1 domain (optional), 2 path. */
export const ANCHORED_NAME_RE = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
export const TAG_RE = new RegExp(`^${tag}$`);
export const DOMAIN_RE = new RegExp(`^${domainAndPort}$`);
export const PATH_RE = new RegExp(`^${remoteName}$`);
/** A full image ID without its algorithm; never a repository name. */
export const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

/** Longest repository path (without the domain) that distribution accepts. */
export const NAME_TOTAL_LENGTH_MAX = 255;
