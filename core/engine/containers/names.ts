// Container names as dockerd validates and generates them (daemon/names, pkg/namesgenerator).
import { BerthError } from '../../errors.ts';

const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Validates a user-given name and returns it with its leading `/`. */
export function normalizeName(name: string): string {
  if (!VALID_NAME.test(name)) {
    throw new BerthError('invalid_argument', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name : `/${name}`;
}

const LEFT = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'beautiful', 'blissful', 'bold',
  'boring', 'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent', 'condescending', 'confident', 'cool',
  'cranky', 'crazy', 'dazzling', 'determined', 'distracted', 'dreamy', 'eager', 'ecstatic', 'elastic', 'elated',
  'elegant', 'eloquent', 'epic', 'exciting', 'fervent', 'festive', 'flamboyant', 'focused', 'friendly', 'frosty',
  'funny', 'gallant', 'gifted', 'goofy', 'gracious', 'great', 'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry',
  'infallible', 'inspiring', 'intelligent', 'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing', 'loving',
  'lucid', 'magical', 'modest', 'musing', 'mystifying', 'naughty', 'nervous', 'nice', 'nifty', 'nostalgic',
  'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical', 'priceless', 'quirky', 'quizzical',
  'recursing', 'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange',
  'stupefied', 'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant', 'vigilant',
  'vigorous', 'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen',
];
const RIGHT = [
  'agnesi', 'albattani', 'allen', 'archimedes', 'ardinghelli', 'babbage', 'banach', 'bardeen', 'bartik', 'bassi',
  'bell', 'benz', 'bhabha', 'black', 'blackwell', 'bohr', 'booth', 'borg', 'bose', 'boyd', 'brahmagupta', 'brattain',
  'brown', 'carson', 'cerf', 'chandrasekhar', 'chatelet', 'clarke', 'colden', 'curie', 'darwin', 'davinci', 'dijkstra',
  'dirac', 'easley', 'einstein', 'elion', 'engelbart', 'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman',
  'franklin', 'galileo', 'gates', 'goldberg', 'goldstine', 'goodall', 'hamilton', 'hawking', 'heisenberg', 'hermann',
  'hodgkin', 'hoover', 'hopper', 'hypatia', 'jackson', 'jang', 'jennings', 'johnson', 'kalam', 'kapitsa', 'keller',
  'kepler', 'khorana', 'kilby', 'knuth', 'kowalevski', 'lalande', 'lamarr', 'lamport', 'leakey', 'leavitt', 'lovelace',
  'lumiere', 'mayer', 'mccarthy', 'mcclintock', 'meitner', 'mendel', 'merkle', 'mestorf', 'mirzakhani', 'morse',
  'newton', 'nobel', 'noether', 'northcutt', 'noyce', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'poincare',
  'ptolemy', 'raman', 'ramanujan', 'ride', 'ritchie', 'rosalind', 'sammet', 'shannon', 'shockley', 'sinoussi',
  'stallman', 'swartz', 'tesla', 'thompson', 'torvalds', 'turing', 'villani', 'visvesvaraya', 'volhard', 'wescoff',
  'wiles', 'williams', 'wilson', 'wing', 'wozniak', 'wright', 'yalow', 'yonath',
];

function pick<T>(list: readonly T[]): T {
  const r = new Uint32Array(1);
  crypto.getRandomValues(r);
  return list[r[0]! % list.length]!;
}

/** `adjective_scientist`, with a digit appended after a collision as dockerd does. */
export function generateName(taken: (name: string) => boolean): string {
  for (let i = 0; i < 10; i++) {
    let name = `${pick(LEFT)}_${pick(RIGHT)}`;
    if (name === 'boring_wozniak') continue; // Steve Wozniak is not boring
    if (i > 0) name += String(Math.floor(Math.random() * 10));
    if (!taken(`/${name}`)) return `/${name}`;
  }
  return `/${randomHex(6)}`;
}

export function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** A 64-hex ID that is not all digits (dockerd avoids IDs that parse as numbers). */
export function generateId(): string {
  for (;;) {
    const id = randomHex(32);
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}
