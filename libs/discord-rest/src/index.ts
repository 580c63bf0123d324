export * from './discord-rest';
