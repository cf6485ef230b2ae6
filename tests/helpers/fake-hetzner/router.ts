import type { RouteResult } from './http.js';
import type { FakeState } from './state.js';

export interface RouteContext {
  state: FakeState;
  /** Capture groups of the route's pattern. */
  params: (string | undefined)[];
  query: URLSearchParams;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
  /** Absolute URL of this request, for pagination Link headers. */
  selfUrl: string;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Matched against the path below /v1. */
  pattern: RegExp;
  /** 'reset' asks the server to destroy the socket instead of answering. */
  handle: (ctx: RouteContext) => RouteResult | 'reset';
}
