// Phoebe rule language.
//
// The C# parser is generated from this file by tools/gen-parser.sh (antlr-ng,
// pinned in grammar/package.json) into src/Phoebe.Lang/Syntax/Generated/.
// Do not edit the generated files; edit this grammar and regenerate.
//
// Keywords are case-sensitive: clause keywords are upper case (RULE ON ENTRY
// EXIT IF DO ENDRULE HEALTH EVERY TIMEOUT), action and operator words are lower
// case (return delay signal log import and or not mod true false). Syscall names are
// lower case, so `ON exit EXIT` reads unambiguously.
grammar Phoebe;

// ---------------------------------------------------------------- parser

file
    : item* EOF
    ;

item
    : importDecl
    | ruleDecl
    | healthDecl
    ;

importDecl
    : IMPORT STRING
    ;

ruleDecl
    : RULE name=ident ON targetList phase? (IF condition=expr)? DO actionList ENDRULE?
    ;

targetList
    : target (COMMA target)*
    ;

target
    : PERCENT name=ident                    # classTarget
    | function=ident AT library=ident       # functionTarget
    | name=ident                            # syscallTarget
    ;

phase
    : ENTRY
    | EXIT
    ;

actionList
    : action (SEMI action)* SEMI?
    ;

action
    : RETURN value=expr                     # returnAction
    | DELAY duration=expr                   # delayAction
    | SIGNAL name=ident                     # signalAction
    | LOG message=(STRING | RAW_STRING)     # logAction
    ;

healthDecl
    : HEALTH name=ident healthOption* CSHARP_BLOCK
    ;

healthOption
    : EVERY period=expr                     # everyOption
    | TIMEOUT limit=expr                    # timeoutOption
    ;

// Alternatives are listed from the tightest binding to the loosest.
// `!` binds tightly (C); `not` binds loosely (Python): `not a == b` is `not (a == b)`.
expr
    : LPAREN inner=expr RPAREN                                  # parenExpr
    | function=ident LPAREN (expr (COMMA expr)*)? RPAREN        # callExpr
    | ident (DOT ident)*                                        # nameExpr
    | literal                                                   # literalExpr
    | op=(BANG | MINUS) operand=expr                            # unaryExpr
    | left=expr op=(STAR | SLASH | MOD) right=expr              # binaryExpr
    | left=expr op=(PLUS | MINUS) right=expr                    # binaryExpr
    | left=expr op=(TILDE | REGEX_MATCH) right=expr             # binaryExpr
    | left=expr op=(LT | LE | GT | GE) right=expr               # binaryExpr
    | left=expr op=(EQ | NE) right=expr                         # binaryExpr
    | op=NOT operand=expr                                       # unaryExpr
    | left=expr op=(ANDAND | AND) right=expr                    # binaryExpr
    | left=expr op=(OROR | OR) right=expr                       # binaryExpr
    ;

literal
    : INT
    | HEX
    | FLOAT
    | DURATION
    | PERCENTAGE
    | STRING
    | RAW_STRING
    | TRUE
    | FALSE
    ;

// Lower-case words that are keywords elsewhere may still name rules, syscalls
// and functions.
ident
    : ID
    | RETURN
    | DELAY
    | SIGNAL
    | LOG
    | IMPORT
    ;

// ---------------------------------------------------------------- lexer

RULE    : 'RULE' ;
ON      : 'ON' ;
ENTRY   : 'ENTRY' ;
EXIT    : 'EXIT' ;
IF      : 'IF' ;
DO      : 'DO' ;
ENDRULE : 'ENDRULE' ;
HEALTH  : 'HEALTH' ;
EVERY   : 'EVERY' ;
TIMEOUT : 'TIMEOUT' ;

IMPORT  : 'import' ;
RETURN  : 'return' ;
DELAY   : 'delay' ;
SIGNAL  : 'signal' ;
LOG     : 'log' ;
AND     : 'and' ;
OR      : 'or' ;
NOT     : 'not' ;
MOD     : 'mod' ;
TRUE    : 'true' ;
FALSE   : 'false' ;

// A duration or percentage is one token: `10ms`, `1.5s`, `5%`.
DURATION   : DIGITS ('.' DIGITS)? ('ns' | 'us' | 'µs' | 'ms' | 's' | 'm' | 'h') ;
PERCENTAGE : DIGITS ('.' DIGITS)? '%' ;
HEX        : '0' [xX] [0-9a-fA-F_]+ ;
FLOAT      : DIGITS '.' DIGITS EXPONENT? | DIGITS EXPONENT ;
INT        : DIGITS ;

ID : [a-zA-Z_] [a-zA-Z_0-9]* ;

STRING     : '"' ( '\\' ~[\r\n] | ~["\\\r\n] )* '"' ;
RAW_STRING : '\'' ~['\r\n]* '\'' ;
UNTERMINATED_STRING : '"' ( '\\' ~[\r\n] | ~["\\\r\n] )* | '\'' ~['\r\n]* ;

// The body of a HEALTH block is C#: the lexer hands the scan for the matching
// brace to CSharpBlockScanner, which knows C#'s strings, chars, comments and
// interpolations (see PhoebeLexer.CSharp.cs).
CSHARP_BLOCK : '{' { ScanCSharpBlock(); } ;

LPAREN      : '(' ;
RPAREN      : ')' ;
COMMA       : ',' ;
SEMI        : ';' ;
DOT         : '.' ;
AT          : '@' ;
PERCENT     : '%' ;
PLUS        : '+' ;
MINUS       : '-' ;
STAR        : '*' ;
SLASH       : '/' ;
ANDAND      : '&&' ;
OROR        : '||' ;
BANG        : '!' ;
EQ          : '==' ;
NE          : '!=' ;
LE          : '<=' ;
GE          : '>=' ;
LT          : '<' ;
GT          : '>' ;
REGEX_MATCH : '=~' ;
TILDE       : '~' ;

LINE_COMMENT : ('#' | '//') ~[\r\n]* -> channel(HIDDEN) ;
WS           : [ \t\r\n\f]+ -> skip ;

// Anything else is one error token per run of unknown characters, so binary
// garbage yields a handful of diagnostics rather than one per byte.
UNKNOWN : ~[ \t\r\n\f"'#/{}()\-,;.@%+*&|!=<>~a-zA-Z_0-9]+ | [&|=}] ;

fragment DIGITS   : [0-9] ('_'? [0-9])* ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;
