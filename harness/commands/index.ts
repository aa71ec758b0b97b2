// Every CLI command lives in its own file and registers itself here.
import type { Command } from 'commander';
import { registerList } from './list.ts';
import { registerRun } from './run.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
commands.push(registerRun, registerList);
