import type { Platform } from './types.js';

/**
 * The platform table. Adding a row adds a platform: the build, run and
 * rendering code never branches on a platform's name.
 *
 * The CPU model is part of the truth being tested: GOARM=5 code must run on a
 * v5 core (arm926), because a v7 model silently accepts v7-only instructions.
 * musl rows need no -L: musl:armhf/armel install their loaders in the image's /lib.
 */
export const PLATFORMS: readonly Platform[] = [
  { name: 'amd64-glibc', goarch: 'amd64', libc: 'glibc', cc: 'gcc', run: [], timeoutScale: 1, cpu: 'native' },
  { name: 'amd64-musl', goarch: 'amd64', libc: 'musl', cc: 'musl-gcc', run: [], timeoutScale: 1, cpu: 'native' },
  {
    name: 'arm7-glibc', goarch: 'arm', goarm: '7', libc: 'glibc', cc: 'arm-linux-gnueabihf-gcc',
    run: ['qemu-arm', '-cpu', 'cortex-a7', '-L', '/usr/arm-linux-gnueabihf'], timeoutScale: 4, cpu: 'cortex-a7',
  },
  {
    name: 'arm5-glibc', goarch: 'arm', goarm: '5', libc: 'glibc', cc: 'arm-linux-gnueabi-gcc',
    run: ['qemu-arm', '-cpu', 'arm926', '-L', '/usr/arm-linux-gnueabi'], timeoutScale: 4, cpu: 'arm926',
  },
  {
    name: 'arm7-musl', goarch: 'arm', goarm: '7', libc: 'musl', cc: 'arm-linux-musleabihf-gcc',
    run: ['qemu-arm', '-cpu', 'cortex-a7'], timeoutScale: 4, cpu: 'cortex-a7',
  },
  {
    name: 'arm5-musl', goarch: 'arm', goarm: '5', libc: 'musl', cc: 'arm-linux-musleabi-gcc',
    run: ['qemu-arm', '-cpu', 'arm926'], timeoutScale: 4, cpu: 'arm926',
  },
];

export const isEmulated = (p: Platform): boolean => p.run.length > 0;
