from llmlog.cli.app import main

main()
