import './threadpool';
import 'reflect-metadata';
import { runServer } from './server';

void runServer();
