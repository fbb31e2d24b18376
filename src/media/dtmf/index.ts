export * from './telephone-event.js';
export * from './receiver.js';
export * from './sender.js';
