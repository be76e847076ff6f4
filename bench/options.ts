/**
 * Command-line flags of `npm run bench -- <scenario> [flags]`. Defaults make a quick run; the
 * issue's full sizes are `--full` (1M profiles / 10M events for the scale scenario).
 */
export type Engine = 'sqlite' | 'postgres';

export interface BenchOptions {
  scenario: string;
  engine: Engine;
  connections: number;
  /** Seconds of each measured run. */
  duration: number;
  /** Measured runs per side; figures are medians. */
  runs: number;
  /** Seconds of warm-up per server before its first measured run. */
  warmup: number;
  /** Scale scenario: profiles and events stored before measuring. */
  profiles: number;
  events: number;
  /**
   * Known profiles that personalize requests spread over (round robin): 50 by default, one per
   * connection, as 50 people would; 1 puts every request on one profile (a hot spot whose writes
   * queue in its write slot).
   */
  knownProfiles: number;
  /** History scenario: events stored for the long-history profile. */
  historyEvents: number;
  /** Write a V8 CPU profile of every Tessera process into this directory (`node --cpu-prof`). */
  cpuProf?: string;
  /** Tessera processes run with `--max-old-space-size` of this many MiB (default: V8's own). */
  maxHeap?: number;
}

export const SCENARIO_NAMES = [
  'personalize',
  'read',
  'ingest',
  'history',
  'scale',
  'workers',
] as const;

const USAGE = `usage: npm run bench -- <${SCENARIO_NAMES.join('|')}|all> [flags]
  --engine sqlite|postgres   database engine (default sqlite; postgres needs BENCH_POSTGRES_URL
                             or a local server at postgres://postgres@127.0.0.1:5432/postgres)
  --connections N            concurrent keep-alive connections (default 50)
  --duration S               seconds per measured run (default 5)
  --runs N                   measured runs per side, medians reported (default 3)
  --warmup S                 warm-up seconds per server (default 2)
  --profiles N --events N    scale scenario sizes (default 100000 / 1000000)
  --full                     scale at the issue's size: 1000000 profiles / 10000000 events
  --known-profiles N         personalize, scale, workers: profiles the requests spread over
                             (default 50; 1 = every request for the same profile)
  --history-events N         history scenario: events of the long profile (default 100000)
  --cpu-prof DIR             CPU-profile each Tessera process (a .cpuprofile per process in DIR)
  --max-heap MiB             run Tessera with node --max-old-space-size=MiB (default: V8's own)`;

function positive(flag: string, raw: string | undefined): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} needs a positive integer`);
  return value;
}

export function parseOptions(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    scenario: '',
    engine: 'sqlite',
    connections: 50,
    duration: 5,
    runs: 3,
    warmup: 2,
    profiles: 100_000,
    events: 1_000_000,
    historyEvents: 100_000,
    knownProfiles: 50,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = () => argv[++i];
    switch (arg) {
      case '--engine': {
        const engine = next();
        if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(USAGE);
        options.engine = engine;
        break;
      }
      case '--connections':
        options.connections = positive(arg, next());
        break;
      case '--duration':
        options.duration = positive(arg, next());
        break;
      case '--runs':
        options.runs = positive(arg, next());
        break;
      case '--warmup':
        options.warmup = positive(arg, next());
        break;
      case '--profiles':
        options.profiles = positive(arg, next());
        break;
      case '--events':
        options.events = positive(arg, next());
        break;
      case '--known-profiles':
        options.knownProfiles = positive(arg, next());
        break;
      case '--history-events':
        options.historyEvents = positive(arg, next());
        break;
      case '--cpu-prof': {
        const dir = next();
        if (!dir) throw new Error(USAGE);
        options.cpuProf = dir;
        break;
      }
      case '--max-heap':
        options.maxHeap = positive(arg, next());
        break;
      case '--full':
        options.profiles = 1_000_000;
        options.events = 10_000_000;
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        if (arg.startsWith('-') || options.scenario) throw new Error(`${arg}?\n${USAGE}`);
        options.scenario = arg;
    }
  }
  if (
    options.scenario !== 'all' &&
    !(SCENARIO_NAMES as readonly string[]).includes(options.scenario)
  )
    throw new Error(USAGE);
  return options;
}
