export * from './values';
export { RespParser, parseAll, splitInlineArgs, MAX_BULK_LENGTH, type RespParserOptions, type ValueCallback } from './parser';
export { encodeCommand, encodeCommands, encodeCommandInto, commandByteLength, argvBuffers, EncodedArgs, type RespArg } from './encoder';
