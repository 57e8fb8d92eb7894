// The products `authplane start` runs, in start order (the front door first: others route to it).
import type { Product } from '../product.js';
import { cloudRunProduct } from '../run/product.js';
import { iapProduct } from '../iap/product.js';
import { gatewayProduct } from '../gateway/product.js';
import { tasksProduct } from '../tasks/product.js';
import { schedulerProduct } from '../scheduler/product.js';
import { pubsubProduct } from '../pubsub/product.js';

export const PRODUCTS: Product[] = [
  cloudRunProduct,
  iapProduct,
  gatewayProduct,
  tasksProduct,
  schedulerProduct,
  pubsubProduct,
];
