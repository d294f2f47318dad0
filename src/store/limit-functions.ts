import { sql, type Kysely } from 'kysely';

// PostgreSQL decides a request's limits in one round trip: these functions take the plan that
// limit-state.ts makes (planOf, the same one the Redis script takes) and lock, read, decide and
// write inside the one statement that calls them. The arithmetic is limit-state.ts's (and the
// Lua script's in limiter-redis.ts): GCRA arrival times and ratio buckets. Rows are locked in key
// order, missing ones created first as placeholders (expired at 0: they read as empty), so two
// decisions over the same keys queue instead of deadlocking. SQLite needs none of this (its
// decision runs synchronously inside the group commit's batch).

/** Every state key of a plan, sorted and distinct; their rows exist and are locked on return. */
const LOCK = sql`
create or replace function limit_lock(plan jsonb) returns jsonb language plpgsql as $$
declare
  keys text[];
  state jsonb;
begin
  select coalesce(array_agg(distinct k order by k), '{}') into keys from (
    select r->>'key' as k from jsonb_array_elements(plan) c, jsonb_array_elements(coalesce(c->'rules', '[]')) r
    union all
    select e from jsonb_array_elements(plan) c, jsonb_array_elements_text(coalesce(c->'events', '[]')) e
    union all
    select s from jsonb_array_elements(plan) c, jsonb_array_elements_text(coalesce(c->'successes', '[]')) s
  ) all_keys;
  insert into limit_state (key, value, expires_at) select k, 0, 0 from unnest(keys) k order by k on conflict (key) do nothing;
  select coalesce(jsonb_object_agg(key, value) filter (where expires_at > 0), '{}') into state
    from (select key, value, expires_at from limit_state where key = any(keys) order by key for update) locked;
  return state;
end $$`;

/** Returns {allowed (1|0), remaining (-1: none) or the refused check's index, retry after ms}. */
const DECIDE = sql`
create or replace function limit_decide(plan jsonb, now_ms bigint) returns bigint[] language plpgsql as $$
declare
  state jsonb := limit_lock(plan);
  pending jsonb := '{}';
  remaining bigint := -1;
  c jsonb;
  r jsonb;
  i int := 0;
  events numeric;
  successes numeric;
  tat bigint;
  left_takes bigint;
begin
  for c in select value from jsonb_array_elements(plan) loop
    if c->>'kind' = 'ratio' then
      select coalesce(sum((state->>e)::numeric), 0) into events from jsonb_array_elements_text(c->'events') e;
      select coalesce(sum((state->>s)::numeric), 0) into successes from jsonb_array_elements_text(c->'successes') s;
      -- nullif: SQL does not promise to evaluate "and" left to right; no events is no refusal
      if events >= (c->>'minEvents')::numeric and successes::float8 / nullif(events, 0)::float8 < (c->>'minRatio')::float8 then
        return array[0, i, (c->>'retry')::bigint];
      end if;
    else
      for r in select value from jsonb_array_elements(c->'rules') loop
        tat := greatest(coalesce((pending->>(r->>'key'))::bigint, (state->>(r->>'key'))::bigint, now_ms), now_ms) + (r->>'interval')::bigint;
        if tat - now_ms > (r->>'window')::bigint then
          return array[0, i, tat - (r->>'window')::bigint - now_ms];
        end if;
        if c->>'kind' = 'take' then
          pending := pending || jsonb_build_object(r->>'key', tat);
          left_takes := ((r->>'window')::bigint + (r->>'slack')::bigint - (tat - now_ms)) / (r->>'interval')::bigint;
          if remaining < 0 or left_takes < remaining then remaining := left_takes; end if;
        end if;
      end loop;
    end if;
    i := i + 1;
  end loop;
  insert into limit_state (key, value, expires_at)
    select key, value::bigint, value::bigint from jsonb_each_text(pending) order by key
    on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at;
  return array[1, remaining, 0];
end $$`;

/** Gives back one take of each take check (a delivery that failed). */
const REFUND = sql`
create or replace function limit_refund(plan jsonb, now_ms bigint) returns void language plpgsql as $$
declare
  state jsonb := limit_lock(plan);
begin
  insert into limit_state (key, value, expires_at)
    select distinct on (key) key, back, back from (
      select r->>'key' as key, (state->>(r->>'key'))::bigint - (r->>'interval')::bigint as back
      from jsonb_array_elements(plan) c, jsonb_array_elements(c->'rules') r
      where c->>'kind' = 'take' and (state->>(r->>'key'))::bigint > now_ms
    ) given_back order by key
    on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at;
end $$`;

/**
 * Creates (or replaces) the three functions with the definitions above. Migration 005 made them;
 * 006 replaces them (the ratio comparison became a division, as in TypeScript and Lua).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- runs inside migrations, on the schema as it is then
export async function createLimitFunctions(db: Kysely<any>): Promise<void> {
  for (const statement of [LOCK, DECIDE, REFUND]) await statement.execute(db);
}
