/**
 * V8 settings the bot runs with (sandbox, benchmark; the container image should use the same).
 * The bot allocates many short-lived objects per interaction: with Node's default 16 MB
 * semi-spaces V8 grows the young generation under load and keeps the memory, which put the
 * bot at ~165 MB RSS after 200 interactions/s; 4 MB semi-spaces keep it near 100 MB at no
 * measurable latency cost (bench/interactions).
 */
export const BOT_NODE_OPTIONS = '--max-semi-space-size=4 --max-old-space-size=96';
