export * from './discord-rest';
export * from './bot-permissions';
