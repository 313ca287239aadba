/** @file sagan-webgpu's public entry point (re-exports only). */
export * from './engine/index.ts';
