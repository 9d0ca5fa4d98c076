export * from './errors/domain-errors';
export * from './problem/api-problems.decorator';
export * from './problem/problem';
export * from './problem/problem.dto';
export * from './problem/problem.filter';
export * from './problem/problem-writer';
export * from './problem/to-problem';
export * from './validation/validation-pipe';
