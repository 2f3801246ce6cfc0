/** Counters and a bounded request log, for assertions in tests and figures in benchmarks. */

/** One logged request (never headers or bodies: they may hold tokens and secrets). */
export interface RequestLogEntry {
  readonly method: string;
  /** Full URL with the real host name. */
  readonly url: string;
  readonly route: string;
  /** HTTP status, or 0 when the connection was reset or closed. */
  readonly status: number;
  /** Whether the request carried an Authorization header. */
  readonly authorized: boolean;
}

/** Per-route counters. */
export interface RouteStats {
  requests: number;
  throttled: number;
}

/** Live statistics of a running emulator. */
export class EmulatorStats {
  requests = 0;
  /** ARM writes (PUT/POST/PATCH/DELETE) that reached the write bucket. */
  writes = 0;
  /** ARM reads (GET/HEAD, LRO polls included) that reached the read bucket. */
  reads = 0;
  /** 429 answers (throttle faults and the buckets). */
  throttled = 0;
  /** 429 answers of the ARM write bucket. */
  throttledWrites = 0;
  /** 429 answers of the ARM read bucket. */
  throttledReads = 0;
  readonly byRoute = new Map<string, RouteStats>();
  /** The most recent requests (at least the last `maxLog`, at most twice that). */
  readonly log: RequestLogEntry[] = [];

  constructor(private readonly maxLog = 10_000) {}

  /** Records one answered request. */
  record(entry: RequestLogEntry): void {
    this.requests += 1;
    let r = this.byRoute.get(entry.route);
    if (!r) {
      r = { requests: 0, throttled: 0 };
      this.byRoute.set(entry.route, r);
    }
    r.requests += 1;
    if (entry.status === 429) {
      this.throttled += 1;
      r.throttled += 1;
    }
    this.log.push(entry);
    // Trim in chunks, not one shift per request: O(1) amortised under benchmark load.
    if (this.log.length > this.maxLog * 2) this.log.splice(0, this.log.length - this.maxLog);
  }

  /** Requests to a route. */
  count(route: string): number {
    return this.byRoute.get(route)?.requests ?? 0;
  }

  /** Zeroes everything. */
  reset(): void {
    this.requests = 0;
    this.writes = 0;
    this.reads = 0;
    this.throttled = 0;
    this.throttledWrites = 0;
    this.throttledReads = 0;
    this.byRoute.clear();
    this.log.length = 0;
  }
}
