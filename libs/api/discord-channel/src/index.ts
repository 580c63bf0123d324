export * from './discord-channel.repository';
