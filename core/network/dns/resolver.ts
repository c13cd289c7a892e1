// The embedded DNS server's answers (dockerd's libnetwork resolver, 127.0.0.11 in containers on
// user-defined networks): A for the names of containers on the client's networks, an empty
// NOERROR for AAAA and MX of those names (so clients do not go on to ask upstream for them), PTR
// for their addresses; everything else goes to the host's resolvers. Messages are dns-packet's
// decoded form; encoding and the sockets are the host's (host-linux/net/dns-server.ts).
import type { Answer, Packet, Question } from 'dns-packet';
import type { ServiceRecords } from './service-records.ts';
import { resolveName } from './resolve-name.ts';

/** dockerd's respTTL: containers come and go, so answers are not cached for long. */
export const DNS_TTL = 600;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

// Header bits (RFC 1035 4.1.1) as dns-packet's flags field carries them, rcode in the low 4 bits.
const FLAG_RD = 1 << 8;
const FLAG_RA = 1 << 7;
const OPCODE_MASK = 0xf << 11;

/**
 * The container asking: the networks it is on (in the order it joined them), and whether its
 * resolv.conf sets ndots explicitly (`--dns-option ndots:N`): then a single-label name berth does
 * not know gets an empty answer instead of going upstream, so the client goes on with its search
 * domains appended, as dockerd does.
 */
export interface DnsClient {
  networks: readonly string[];
  ndotsSet?: boolean;
  /** The container's own resolvers (`--dns`): where its unknown names go instead of the network's upstreams. */
  upstreams?: readonly string[];
}

export type DnsVerdict =
  | { action: 'answer'; response: Packet }
  /** Not a name berth knows: send the query bytes as they came to the host's resolvers. */
  | { action: 'forward' }
  /** Nothing to answer (no question): dockerd sends no reply either. */
  | { action: 'drop' };

/** A reply to `query` with its id, opcode, RD bit and question, as miekg/dns's SetReply makes it. */
export function reply(query: Packet, rcode: number, answers: Answer[] = []): Packet {
  const flags = ((query.flags ?? 0) & (OPCODE_MASK | FLAG_RD)) | FLAG_RA | rcode;
  return { type: 'response', id: query.id ?? 0, flags, questions: query.questions ?? [], answers };
}

/** SERVFAIL: what a client gets when its query could not be forwarded (no upstream, or none answered). */
export function serverFailure(query: Packet): Packet {
  return reply(query, RCODE.SERVFAIL);
}

/** `random` (0 <= x < 1) orders several addresses of one name differently each time, as dockerd shuffles them: round-robin across `--network-alias` replicas. */
export function answerQuery(query: Packet, client: DnsClient, records: ServiceRecords, random: () => number = Math.random): DnsVerdict {
  // Like dockerd, only the first question counts (no resolver sends more than one).
  const question = query.questions?.[0];
  if (query.type === 'response' || !question) return { action: 'drop' };
  const local = localAnswer(query, question, client, records, random);
  if (local) return { action: 'answer', response: local };
  const name = question.name.replace(/\.$/, '');
  if ((question.type === 'A' || question.type === 'AAAA') && client.ndotsSet && !name.includes('.')) {
    return { action: 'answer', response: reply(query, RCODE.NOERROR) };
  }
  return { action: 'forward' };
}

function localAnswer(query: Packet, question: Question, client: DnsClient, records: ServiceRecords, random: () => number): Packet | undefined {
  switch (question.type) {
    case 'A':
    case 'AAAA':
      return addressAnswer(query, question, client, records, random);
    case 'MX':
      // A container name has no mail exchanger; NOERROR without answers lets mail clients fall back
      // to its A record ("implicit MX", RFC 5321 5.1), as dockerd answers.
      return resolveName(records, question.name.replace(/\.$/, ''), client.networks) ? reply(query, RCODE.NOERROR) : undefined;
    case 'PTR':
      return pointerAnswer(query, question, client, records);
    default:
      return undefined;
  }
}

function addressAnswer(query: Packet, question: Question, client: DnsClient, records: ServiceRecords, random: () => number): Packet | undefined {
  const match = resolveName(records, question.name.replace(/\.$/, ''), client.networks);
  if (!match) return undefined;
  // berth's networks are IPv4-only: a known name has no AAAA, which is an answer, not a reason to ask upstream.
  if (question.type === 'AAAA') return reply(query, RCODE.NOERROR);
  const answers: Answer[] = shuffle(match.addresses, random).map((data) => ({ type: 'A', class: 'IN', name: question.name, ttl: DNS_TTL, data }));
  return reply(query, RCODE.NOERROR, answers);
}

/** Fisher-Yates, as dockerd's shuffleAddr. */
function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const REVERSE_V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i;

function pointerAnswer(query: Packet, question: Question, client: DnsClient, records: ServiceRecords): Packet | undefined {
  const m = REVERSE_V4.exec(question.name);
  if (!m) return undefined;
  const ipv4 = [m[4], m[3], m[2], m[1]].join('.');
  for (const network of client.networks) {
    const target = records.reverse(ipv4, network);
    if (target !== undefined) {
      return reply(query, RCODE.NOERROR, [{ type: 'PTR', class: 'IN', name: question.name, ttl: DNS_TTL, data: target }]);
    }
  }
  return undefined;
}
