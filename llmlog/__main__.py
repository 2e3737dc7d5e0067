from llmlog.cli import main

main()
