from promptkit.cli.app import main

main()
